// The Argo CD components the sandbox runs as host processes, built from Argo CD's own command packages.
//
// Upstream's cmd/main.go is one binary for every component and the CLI, picked by ARGOCD_BINARY_NAME or the
// binary's name. The sandbox starts three of them (groundwork/sandbox/argocd.py), so this main links those three
// and leaves out the CLI, the API server, Dex, notifications and the commit, CMP and askpass servers: about a
// fifth of the packages a cold build would compile. groundwork.sandbox.toolchain writes it into the wrapper
// module it builds Argo CD from (recipes.py, "argocd").
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	applicationset "github.com/argoproj/argo-cd/v3/cmd/argocd-applicationset-controller/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	"github.com/argoproj/argo-cd/v3/util/log"
)

func init() {
	// As upstream's main: klog logs in the configured level and format.
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
}

func main() {
	var command *cobra.Command
	switch name := os.Getenv("ARGOCD_BINARY_NAME"); name {
	case "argocd-application-controller":
		command = appcontroller.NewCommand()
	case "argocd-repo-server":
		command = reposerver.NewCommand()
	case "argocd-applicationset-controller":
		command = applicationset.NewCommand()
	default:
		fmt.Fprintf(os.Stderr, "error: ARGOCD_BINARY_NAME is %q: set it to argocd-application-controller, "+
			"argocd-repo-server or argocd-applicationset-controller\n", name)
		os.Exit(2)
	}
	if err := command.Execute(); err != nil {
		os.Exit(1)
	}
}
