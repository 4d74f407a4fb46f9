// A command-line tool a module declares with a `tool` line.
package main

import "fmt"

func main() {
	fmt.Println("stamp v1.0.0")
}
