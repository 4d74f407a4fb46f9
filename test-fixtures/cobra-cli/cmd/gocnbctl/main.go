// A cobra command-line tool: run without arguments it reports what it is.
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:   "gocnbctl",
		Short: "The CLI of the real-module fixtures",
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "gocnbctl, built with %s\n", runtime.Version())
			return nil
		},
	}
	root.AddCommand(&cobra.Command{
		Use:  "greet NAME",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "hello, %s\n", args[0])
			return nil
		},
	})
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
