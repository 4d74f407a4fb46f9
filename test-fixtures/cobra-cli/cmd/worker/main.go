// A worker that takes its settings from cobra flags and finishes one job.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	var jobs int
	worker := &cobra.Command{
		Use: "worker",
		RunE: func(cmd *cobra.Command, args []string) error {
			for job := 1; job <= jobs; job++ {
				fmt.Fprintf(cmd.OutOrStdout(), "worker: job %d of %d done\n", job, jobs)
			}
			return nil
		},
	}
	worker.Flags().IntVar(&jobs, "jobs", 2, "how many jobs to run")
	if err := worker.Execute(); err != nil {
		os.Exit(1)
	}
}
