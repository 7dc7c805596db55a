/** The two-node deployment with blobs in GridFS, in the same MongoDB (dev server) as the records. */
import { MongoClient } from 'mongodb';
import { describeTwoNodes } from './two-nodes.case.js';

describeTwoNodes('GridFS', async () => {
  const clients: MongoClient[] = [];
  const db = async (uri: string) => {
    const c = new MongoClient(uri);
    clients.push(c);
    await c.connect();
    return c.db();
  };
  return {
    env: { BLOB_STORE: 'gridfs' },
    // tus stages uploads in each node's DATA_DIR/tus: resuming on another node needs S3.
    tusAcrossNodes: false,
    async objects(vid, uri) {
      return (await db(uri)).collection('videos.files').countDocuments({ filename: vid });
    },
    async uploading(vid, uri) {
      // Chunks of a file whose files document does not exist yet: an upload in progress.
      const d = await db(uri);
      const done = await d.collection('videos.files').distinct('_id', { filename: vid });
      const orphan = await d.collection('videos.chunks').findOne({ files_id: { $nin: done } });
      return orphan !== null;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
});
