package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// File is a file of a Plan: its path relative to the module root and its content.
type File struct {
	Path string
	Data []byte
}

// Plan is what a scaffold does, computed before anything is written.
type Plan struct {
	// Create are new files; Apply refuses to overwrite any that exists.
	Create []File
	// Edit are existing files with their new content.
	Edit []File
	// Manual are entries the user has to paste because a file could not be edited in
	// place, each saying where.
	Manual []string
	// Notes say what was reused or left alone.
	Notes []string
	// Next are the commands to run next, in order.
	Next []string
}

func (p *Plan) create(path string, data []byte) { p.Create = append(p.Create, File{path, data}) }

// edit records new content for an existing file, replacing an earlier edit of it.
func (p *Plan) edit(path string, data []byte) {
	for i := range p.Edit {
		if p.Edit[i].Path == path {
			p.Edit[i].Data = data
			return
		}
	}
	p.Edit = append(p.Edit, File{path, data})
}

// content returns the planned content of path, else what is on disk under root.
func (p *Plan) content(root, path string) ([]byte, error) {
	for _, f := range slices.Concat(p.Edit, p.Create) {
		if f.Path == path {
			return f.Data, nil
		}
	}
	return os.ReadFile(filepath.Join(root, path))
}

// Apply writes the plan under root. Every file to create is checked first: when one
// exists nothing is written. Edits replace their file through a temporary file and a
// rename.
func (p *Plan) Apply(root string) error {
	var errs []error
	for _, f := range p.Create {
		if _, err := os.Lstat(filepath.Join(root, f.Path)); err == nil {
			errs = append(errs, fmt.Errorf("%s exists already; not overwriting it", f.Path))
		} else if !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, f := range p.Create {
		path := filepath.Join(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", f.Path, err)
		}
		w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("create %s: %w", f.Path, err)
		}
		_, err = w.Write(f.Data)
		if err = errors.Join(err, w.Close()); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	for _, f := range p.Edit {
		path := filepath.Join(root, f.Path)
		info, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("edit %s: %w", f.Path, err)
		}
		tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
		if err != nil {
			return fmt.Errorf("edit %s: %w", f.Path, err)
		}
		_, err = tmp.Write(f.Data)
		err = errors.Join(err, tmp.Chmod(info.Mode().Perm()), tmp.Close())
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("edit %s: %w", f.Path, err)
		}
	}
	return nil
}
