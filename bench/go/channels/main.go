// Command channels measures Go channel throughput on the workloads of bench/channels/run.ts
// and prints one JSON object: workload name -> messages per second (best of -runs).
//
// A message is one value moved through a channel: a ping-pong round trip counts two.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

func pingPong(n int) int {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
		close(pong)
	}()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	close(ping)
	return 2 * n
}

func buffered(n int) int {
	ch := make(chan int, 128)
	go func() {
		for i := 0; i < n; i++ {
			ch <- i
		}
		close(ch)
	}()
	sum := 0
	for v := range ch {
		sum += v
	}
	_ = sum
	return n
}

func selectLoop(n int) int {
	a, b := make(chan int), make(chan int)
	half := n / 2
	for _, c := range []chan int{a, b} {
		go func(c chan int) {
			for i := 0; i < half; i++ {
				c <- i
			}
		}(c)
	}
	for i := 0; i < 2*half; i++ {
		select {
		case <-a:
		case <-b:
		}
	}
	return 2 * half
}

func tryLoop(n int) int {
	ch := make(chan int, 128)
	got := 0
	for i := 0; i < n; i++ {
		select {
		case ch <- i:
		default:
		}
		select {
		case <-ch:
			got++
		default:
		}
	}
	if got != n {
		panic("tryLoop lost values")
	}
	return n
}

func best(runs int, n int, f func(int) int) float64 {
	f(n / 10) // warm up
	top := 0.0
	for r := 0; r < runs; r++ {
		start := time.Now()
		msgs := f(n)
		rate := float64(msgs) / time.Since(start).Seconds()
		if rate > top {
			top = rate
		}
	}
	return top
}

func main() {
	n := flag.Int("n", 1_000_000, "messages per run")
	runs := flag.Int("runs", 5, "runs per workload (best is reported)")
	flag.Parse()
	out := map[string]any{
		"gomaxprocs":  runtime.GOMAXPROCS(0),
		"pingPong":    best(*runs, *n/2, pingPong),
		"buffered":    best(*runs, *n, buffered),
		"select":      best(*runs, *n, selectLoop),
		"trySendRecv": best(*runs, *n, tryLoop),
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
