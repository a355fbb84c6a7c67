package userapi_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/userapi"
)

// FuzzDecodeRegistration checks that the decoder either returns a valid, normalized
// registration or a validation error naming at least one field, for any input.
func FuzzDecodeRegistration(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@example.com","name":"A","password":"0123456789"}`,
		`{"email":"x","name":"","password":""}`,
		`{"email":1}`, `[]`, `null`, ``, `{"a":1} {}`, `{"name":"\u00e9\u00e9"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		reg, err := userapi.DecodeRegistration(strings.NewReader(string(body)))
		if err == nil {
			if reg != reg.Normalize() {
				t.Errorf("registration not normalized: %+v", reg)
			}
			if err := reg.Validate(); err != nil {
				t.Errorf("decoded registration is invalid: %v", err)
			}
			if !utf8.ValidString(reg.Name) || utf8.RuneCountInString(reg.Name) > account.MaxNameLength {
				t.Errorf("bad name accepted: %q", reg.Name)
			}
			return
		}
		var verr *account.ValidationError
		if len(body) <= userapi.MaxBodyBytes && (!errors.As(err, &verr) || len(verr.Fields) == 0) {
			t.Errorf("error %v is not a validation error naming a field", err)
		}
	})
}
