/** Id validation: no path or key is ever built from raw request input. */
import { isUuid, lowerUuid } from '../../store/index.js';

export { isUuid };

/** The lower-cased UUID, or undefined when `value` is not one (→ answer 400). */
export const parseUuid: (value: string) => string | undefined = lowerUuid;
