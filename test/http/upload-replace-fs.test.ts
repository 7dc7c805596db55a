/** The bad re-upload case (upload-replace.case.ts) on the filesystem blob store. */

import { startStack } from './stack.js';
import { describeReplace } from './upload-replace.case.js';

describeReplace('fs', () => startStack());
