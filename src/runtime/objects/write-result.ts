/** What a compare-then-write helper did: `object` is the server's answer, or the input untouched. */
export interface WriteResult<T> {
  readonly written: boolean;
  readonly object: T;
}
