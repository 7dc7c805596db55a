// njs (nginx's JavaScript module) for deploy/nginx.conf: counts a request's header lines.
//
// uWS (the nodes' HTTP parser) reads at most 48 request headers; on the 49th it stops parsing
// without answering and the connection hangs until its 10 s idle timeout — behind nginx that is
// a 502 after 10 s or more (and a retry on another node), per request a hostile client sends.
// nginx has no header-count limit of its own, so it asks this function. nginx adds up to four
// headers of its own upstream (X-Forwarded-Host/-Proto/-For, X-Real-IP) and replaces Host, so
// MAX_HEADERS client headers stay below uWS's limit with room to spare; browsers send about 15.
// rawHeadersIn lists every header line, duplicates included.
var MAX_HEADERS = 40;

function tooMany(r) {
  return r.rawHeadersIn.length > MAX_HEADERS ? '1' : '';
}

export default { tooMany, MAX_HEADERS };
