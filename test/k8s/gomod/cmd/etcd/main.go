// Command etcd wraps go.etcd.io/etcd/server/v3/etcdmain for the Switchyard
// test bed (the etcd server module carries replace directives, so it cannot
// be built with a plain `go install ...@version`).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
