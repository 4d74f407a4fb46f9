// A command of another module of the workspace, using a sibling module and a proxy module.
package main

import (
	"fmt"

	"example.test/greeting"
	"example.test/wslib"
)

func main() {
	fmt.Println(greeting.Hello("admin"), "with", wslib.Name())
}
