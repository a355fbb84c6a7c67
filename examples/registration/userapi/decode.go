package userapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/millrace/millrace/examples/registration/account"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 64 << 10

// errTooLarge is returned by DecodeRegistration for a body over MaxBodyBytes.
var errTooLarge = errors.New("request body too large")

// DecodeRegistration reads a registration from a JSON body of at most MaxBodyBytes. It
// returns errTooLarge for a bigger body and a *users.ValidationError naming every bad
// field (malformed JSON is reported on the field "body"); the registration it returns
// is normalized and valid.
func DecodeRegistration(r io.Reader) (account.Registration, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		return account.Registration{}, fmt.Errorf("read body: %w", err)
	}
	if len(data) > MaxBodyBytes {
		return account.Registration{}, errTooLarge
	}
	bodyErr := func(reason string) error {
		return &account.ValidationError{Fields: []account.FieldError{{Field: "body", Reason: reason}}}
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return account.Registration{}, bodyErr("is not a JSON object: " + jsonReason(err))
	}
	if raw == nil {
		return account.Registration{}, bodyErr("is not a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return account.Registration{}, bodyErr("has data after the JSON object")
	}
	var (
		reg    account.Registration
		fields []account.FieldError
	)
	targets := map[string]*string{"email": &reg.Email, "name": &reg.Name, "password": &reg.Password}
	typeErr := map[string]bool{}
	for key, value := range raw {
		dst, ok := targets[key]
		if !ok {
			fields = append(fields, account.FieldError{Field: key, Reason: "is not a known field"})
			continue
		}
		if err := json.Unmarshal(value, dst); err != nil || bytes.Equal(bytes.TrimSpace(value), []byte("null")) {
			fields = append(fields, account.FieldError{Field: key, Reason: "must be a string"})
			typeErr[key] = true
		}
	}
	reg = reg.Normalize()
	var verr *account.ValidationError
	if err := reg.Validate(); errors.As(err, &verr) {
		for _, f := range verr.Fields {
			if !typeErr[f.Field] {
				fields = append(fields, f)
			}
		}
	}
	if len(fields) > 0 {
		sortFields(fields)
		return account.Registration{}, &account.ValidationError{Fields: fields}
	}
	return reg, nil
}

// jsonReason shortens a decoding error for a client.
func jsonReason(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "expected an object, found " + typ.Value
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// sortFields orders field errors by field name, then reason, so answers are stable.
func sortFields(fs []account.FieldError) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && (fs[j].Field < fs[j-1].Field || fs[j].Field == fs[j-1].Field && fs[j].Reason < fs[j-1].Reason); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}
