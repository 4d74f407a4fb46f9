// A cgo web app linking a C library another buildpack provides (greeting.h on CPATH,
// libgreeting.a on LIBRARY_PATH).
package main

/*
#cgo LDFLAGS: -lgreeting
#include <greeting.h>
*/
import "C"

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	handle := func(w io.Writer) {
		fmt.Fprintf(w, "%s, through cgo\n", C.GoString(C.greeting()))
	}
	if err := serve(":"+port, handle); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// serve answers every HTTP request with what handle writes. It is a few lines over package
// net rather than net/http: a cold build of this test app then compiles half as much of the
// standard library, and the end-to-end suite builds its apps cold many times.
func serve(address string, handle func(w io.Writer)) error {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return err
	}
	for {
		conn, err := listener.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer conn.Close()
			request := bufio.NewReader(conn)
			for {
				line, err := request.ReadString('\n')
				if err != nil || strings.TrimSpace(line) == "" {
					break
				}
			}
			var body bytes.Buffer
			handle(&body)
			fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", body.Len(), body.Bytes())
		}()
	}
}
