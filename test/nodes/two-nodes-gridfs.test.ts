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
    // tus keeps uploads in progress in the same MongoDB (MongoTusStore): any node resumes them.
    tusAcrossNodes: true,
    async tusLeftovers(uri) {
      const d = await db(uri);
      const uploads = await d.collection('tus.uploads').find().toArray();
      const chunks = await d
        .collection('tus.chunks')
        .find({}, { projection: { data: 0 } })
        .toArray();
      return [...uploads, ...chunks].map((doc) => `${String(doc._id)}`);
    },
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
