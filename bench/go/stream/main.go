// Baseline for bench/http: the seed's stream server in Go — net/http, http.ServeContent over the
// file, a buffered-channel connection limiter (the seed's token bucket) — serving the same
// DATA_DIR/videos files as our uWS stream service.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
)

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func main() {
	dir := flag.String("dir", "", "directory holding the video files")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	conns := flag.Int("conns", 1024, "limiter capacity")
	flag.Parse()

	tokens := make(chan struct{}, *conns)
	mux := http.NewServeMux()
	mux.HandleFunc("/videos/{vid}", func(w http.ResponseWriter, r *http.Request) {
		select {
		case tokens <- struct{}{}:
			defer func() { <-tokens }()
		default:
			http.Error(w, "Too many requests", http.StatusTooManyRequests)
			return
		}
		vid := r.PathValue("vid")
		if !uuidRe.MatchString(vid) {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		f, err := os.Open(filepath.Join(*dir, vid))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			http.Error(w, "stat", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "video/mp4")
		http.ServeContent(w, r, "", st.ModTime(), f)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
