package consumequeue

import "fmt"

// DefaultEntriesPerFile is RocketMQ's mappedFileSizeConsumeQueue divided by
// EntrySize: 300,000 entries, 6,000,000 bytes per file.
const DefaultEntriesPerFile = 300_000

// maxEntriesPerFile keeps a file's byte size within an int32, as RocketMQ's
// int-sized mapped files are.
const maxEntriesPerFile = (1<<31 - 1) / EntrySize

// MaxGap is the largest gap, in entries, that Put fills with blank entries
// in a queue that already has entries (about 84 MB of blanks). A larger
// jump is taken for a corrupt queue offset, not a loss, and refused with
// ErrGap. The first entry of a queue with no files is not limited: it
// starts a file at the file boundary below it.
const MaxGap = 1 << 22

// Config configures consume queues. It is immutable once a Queue or Table
// is opened with it.
type Config struct {
	// EntriesPerFile is the number of 20-byte entries in each queue file,
	// 1 to 107,374,182. Default 300,000 (6,000,000-byte files, RocketMQ's
	// mappedFileSizeConsumeQueue). It must match the files on disk: a
	// file of another size fails Open with ErrCorrupt. RocketMQ rounds a
	// byte size up to a multiple of 20; the broker's config mapping does
	// that division.
	EntriesPerFile int
}

// DefaultConfig returns RocketMQ's defaults.
func DefaultConfig() Config {
	return Config{EntriesPerFile: DefaultEntriesPerFile}
}

// Validate reports a field outside its range, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	if c.EntriesPerFile < 1 || c.EntriesPerFile > maxEntriesPerFile {
		return fmt.Errorf("%w: EntriesPerFile %d not in [1, %d]", ErrInvalidConfig, c.EntriesPerFile, maxEntriesPerFile)
	}
	return nil
}

// fileBytes is the size of one queue file.
func (c Config) fileBytes() int { return c.EntriesPerFile * EntrySize }
