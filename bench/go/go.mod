module video-server/bench

go 1.26
