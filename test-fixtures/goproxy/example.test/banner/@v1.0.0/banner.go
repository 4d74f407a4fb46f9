// Package banner frames a greeting.
package banner

import "example.test/greeting"

// For returns a framed greeting for name.
func For(name string) string {
	return "*** " + greeting.Hello(name) + " ***"
}
