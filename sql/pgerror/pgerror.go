package pgerror

import (
	"errors"
	"fmt"
)

// Severity values as PostgreSQL sends them.
const (
	SeverityError   = "ERROR"
	SeverityFatal   = "FATAL"
	SeverityNotice  = "NOTICE"
	SeverityWarning = "WARNING"
)

// Error is an error with a SQLSTATE and the optional fields of a PostgreSQL
// ErrorResponse. Position is 1-based in characters of the statement text, 0
// when unknown.
type Error struct {
	Code           Code
	Severity       string // "" means ERROR
	Message        string
	Detail         string
	Hint           string
	Position       int32
	TableName      string
	SchemaName     string // of TableName
	ColumnName     string
	ConstraintName string
	// Where is the CONTEXT line ("COPY t, line 3, column b: \"x\"").
	Where string
	cause error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the error this one wraps, if any.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error with code and message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Newf returns an error with code and a formatted message.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrapf wraps err with a message prefix; the result keeps err's code, or
// takes code when err has none.
func Wrapf(err error, code Code, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...) + ": " + err.Error()
	if pe := As(err); pe != nil {
		c := *pe
		c.Message = msg
		c.cause = err
		return &c
	}
	return &Error{Code: code, Message: msg, cause: err}
}

// WithCode gives err a code, keeping its message and chain. An error that
// already carries a code keeps it.
func WithCode(err error, code Code) error {
	if err == nil || As(err) != nil {
		return err
	}
	return &Error{Code: code, Message: err.Error(), cause: err}
}

// WithDetail returns a copy of e with Detail set.
func (e *Error) WithDetail(format string, args ...any) *Error {
	c := *e
	c.Detail = fmt.Sprintf(format, args...)
	return &c
}

// WithWhere returns a copy of e with Where (CONTEXT) set.
func (e *Error) WithWhere(format string, args ...any) *Error {
	c := *e
	c.Where = fmt.Sprintf(format, args...)
	return &c
}

// WithHint returns a copy of e with Hint set.
func (e *Error) WithHint(format string, args ...any) *Error {
	c := *e
	c.Hint = fmt.Sprintf(format, args...)
	return &c
}

// WithPosition returns a copy of e with Position set (1-based).
func (e *Error) WithPosition(pos int32) *Error {
	c := *e
	c.Position = pos
	return &c
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// CodeOf returns the SQLSTATE of err: its own when it carries one, XX000
// otherwise, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	if pe := As(err); pe != nil {
		return pe.Code
	}
	return InternalError
}

// Flatten returns err as an *Error, giving it code XX000 when it has none.
func Flatten(err error) *Error {
	if pe := As(err); pe != nil {
		return pe
	}
	return &Error{Code: InternalError, Message: err.Error(), cause: err}
}
