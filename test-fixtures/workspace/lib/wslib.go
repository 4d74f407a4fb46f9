// Package wslib is a module of the workspace, used without a require or replace line.
package wslib

// Name names the library.
func Name() string { return "wslib from the workspace" }
