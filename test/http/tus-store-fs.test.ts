/** The tus store case (tus-store.case.ts) on the FileStore under DATA_DIR/tus. */
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startStack } from './stack.js';
import { describeTusActiveExpiry } from './tus-expiry.case.js';
import { describeTusResume } from './tus-resume.case.js';
import { describeTusStore, type TusStoreTarget } from './tus-store.case.js';

const target: TusStoreTarget = {
  start: (config) => startStack({ config }),
  stored: async (s) => (await readdir(join(s.dir, 'tus')).catch(() => [])).sort(),
};

describeTusStore('fs (DATA_DIR/tus)', target);
describeTusResume('fs (DATA_DIR/tus)', {
  ...target,
  leased: true,
  leaseHeld: (s, id) =>
    access(join(s.dir, 'tus', `${id}.lock`)).then(
      () => true,
      () => false,
    ),
});
describeTusActiveExpiry('fs (DATA_DIR/tus)', { ...target, leased: true });
