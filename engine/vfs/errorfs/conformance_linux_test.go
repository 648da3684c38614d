package errorfs_test

import (
	"testing"

	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs/vfstest"
)

// TestConformanceOS runs the same suite against the OS file system, so
// that errorfs and vfs.Default are held to one behaviour.
func TestConformanceOS(t *testing.T) {
	vfstest.Run(t, func(t *testing.T) (vfs.FS, string) { return vfs.Default, t.TempDir() })
}
