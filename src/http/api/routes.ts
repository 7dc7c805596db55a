/**
 * Every api endpoint: the seed's contract plus `GET /session` and logout (ours), and the public
 * browse/search/details routes and PATCH of issue 12.
 */
import { browseVideos, getVideo, searchVideos, userPublicVideos } from './browse.js';
import { addComment, listComments } from './comments.js';
import { type ApiRoute, route } from './router.js';
import { getUser, login, logout, register, whoami } from './users.js';
import { createVideo, deleteVideo, listVideos, updateVideo } from './videos.js';

export const API_ROUTES: readonly ApiRoute[] = Object.freeze([
  route('POST', '/user', 'register', register),
  route('POST', '/user/:username', 'login', login),
  route('GET', '/user/:username', 'getUser', getUser),
  route('DELETE', '/user/:username/sessions', 'logout', logout),
  route('GET', '/session', 'whoami', whoami),
  route('POST', '/user/:username/videos', 'createVideo', createVideo),
  route('GET', '/user/:username/videos', 'listVideos', listVideos),
  route('PATCH', '/user/:username/videos/:vid', 'updateVideo', updateVideo),
  route('DELETE', '/user/:username/videos/:vid', 'deleteVideo', deleteVideo),
  route('GET', '/videos', 'browseVideos', browseVideos),
  route('GET', '/videos/:vid', 'getVideo', getVideo),
  route('GET', '/search', 'searchVideos', searchVideos),
  route('GET', '/users/:username/videos', 'userPublicVideos', userPublicVideos),
  route('POST', '/videos/:vid/comments', 'addComment', addComment),
  route('GET', '/videos/:vid/comments', 'listComments', listComments),
]);
