// Prints the Go version it was compiled with, so tests can see which toolchain built it.
package main

import (
	"fmt"
	"runtime"
)

func main() {
	fmt.Println("compiled with", runtime.Version())
}
