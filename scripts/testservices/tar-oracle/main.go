// tar-oracle reads tar streams the way Docker and containerd do, through Go's archive/tar, and
// says for each file given whether it is a valid tar stream and, if so, the sum of its entries'
// sizes (what Docker's UnpackLayer counts as a layer's size) and how many entries it holds.
//
//	tar-oracle FILE...   → one JSON line per file: {"ok":true,"unpacked":N,"entries":N}
//	                       or {"ok":false,"error":"…"}
//
// Every entry's data is read to its end, as unpacking does, so that a stream cut inside an
// entry fails here as it fails there.
package main

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

type result struct {
	OK       bool   `json:"ok"`
	Unpacked int64  `json:"unpacked"`
	Entries  int    `json:"entries"`
	Error    string `json:"error,omitempty"`
}

func read(path string) result {
	file, err := os.Open(path)
	if err != nil {
		return result{Error: err.Error()}
	}
	defer file.Close()
	reader := tar.NewReader(file)
	var r result
	for {
		header, err := reader.Next()
		if err == io.EOF {
			r.OK = true
			return r
		}
		if err != nil {
			return result{Error: err.Error()}
		}
		if _, err := io.Copy(io.Discard, reader); err != nil {
			return result{Error: err.Error()}
		}
		if r.Unpacked+header.Size < r.Unpacked {
			return result{Error: "sizes overflow"}
		}
		r.Unpacked += header.Size
		r.Entries++
	}
}

func main() {
	encoder := json.NewEncoder(os.Stdout)
	for _, path := range os.Args[1:] {
		if err := encoder.Encode(read(path)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
