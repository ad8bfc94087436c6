export { validateObject, validateText, withDefaults, type Report } from './validate.js';
export type { Problem } from './problem.js';
