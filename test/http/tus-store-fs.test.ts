/** The tus store case (tus-store.case.ts) on the FileStore under DATA_DIR/tus. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startStack } from './stack.js';
import { describeTusStore } from './tus-store.case.js';

describeTusStore('fs (DATA_DIR/tus)', {
  start: (config) => startStack({ config }),
  stored: async (s) => (await readdir(join(s.dir, 'tus')).catch(() => [])).sort(),
});
