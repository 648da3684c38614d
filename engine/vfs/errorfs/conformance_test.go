package errorfs_test

import (
	"testing"

	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs/vfstest"
)

// TestConformance runs the shared vfs suite against errorfs, in a store
// directory under the root and in the root itself.
func TestConformance(t *testing.T) {
	t.Run("errorfs", func(t *testing.T) {
		vfstest.Run(t, func(t *testing.T) (vfs.FS, string) {
			fs := errorfs.New()
			if err := fs.MkdirAll("/tmp/store", 0o755); err != nil {
				t.Fatal(err)
			}
			return fs, "/tmp/store"
		})
	})
	t.Run("errorfs-root", func(t *testing.T) {
		vfstest.Run(t, func(t *testing.T) (vfs.FS, string) { return errorfs.New(), "/" })
	})
}
