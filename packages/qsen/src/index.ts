// @qsen/qsen: the order node. Its error registry is exported for the error-code documentation test.
export { qsenErrors, type QsenErrorCode } from './errors.js';
