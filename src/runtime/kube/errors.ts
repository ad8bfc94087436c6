/** A failed API request, carrying the HTTP code and the Status reason the API server gave. */
export interface Status {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: Status,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const hasCode = (error: unknown, code: number): boolean => error instanceof ApiError && error.code === code;

export const isNotFound = (error: unknown): boolean => hasCode(error, 404);
export const isConflict = (error: unknown): boolean => hasCode(error, 409);
export const isGone = (error: unknown): boolean => hasCode(error, 410);
export const isForbidden = (error: unknown): boolean => hasCode(error, 403);
export const isAlreadyExists = (error: unknown): boolean =>
  error instanceof ApiError && error.code === 409 && error.reason === 'AlreadyExists';
