// A cgo web app linking a C library another buildpack provides (greeting.h on CPATH,
// libgreeting.a on LIBRARY_PATH).
package main

/*
#cgo LDFLAGS: -lgreeting
#include <greeting.h>
*/
import "C"

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s, through cgo\n", C.GoString(C.greeting()))
	})
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
