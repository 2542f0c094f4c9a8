package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/envoyproxy/protoc-gen-validate/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
)

// violation is one leaf error of a ValidateAll tree: a proto field path (snake_case names,
// [index] for lists, ["key"] for string map keys, as @xdskit/validate writes them) and Go's reason.
type violation struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// The methods every protoc-gen-validate error type has.
type fieldError interface {
	Field() string
	Reason() string
	Cause() error
}

type multiError interface{ AllErrors() []error }

const embeddedFailed = "embedded message failed validation"

// flatten turns the error tree ValidateAll returns for a message of type desc into leaf
// violations. Go names fields by their Go names ("FilterChains[0]"); the descriptor maps them
// back to proto names, and tells list indexes from map keys.
func flatten(desc protoreflect.MessageDescriptor, prefix string, err error, out *[]violation) {
	if err == nil {
		return
	}
	if m, ok := err.(multiError); ok {
		for _, e := range m.AllErrors() {
			flatten(desc, prefix, e, out)
		}
		return
	}
	fe, ok := err.(fieldError)
	if !ok {
		*out = append(*out, violation{Path: strings.TrimSuffix(prefix, "."), Reason: err.Error()})
		return
	}
	goName, index, hasIndex := strings.Cut(fe.Field(), "[")
	index = strings.TrimSuffix(index, "]")
	path, fd := protoPath(desc, goName)
	path = prefix + path
	if hasIndex {
		if fd != nil && fd.IsMap() && fd.MapKey().Kind() == protoreflect.StringKind {
			q, _ := json.Marshal(index)
			path += "[" + string(q) + "]"
		} else {
			path += "[" + index + "]"
		}
	}
	if fe.Reason() == embeddedFailed && fe.Cause() != nil && fd != nil {
		child := fd.Message()
		if fd.IsMap() {
			child = fd.MapValue().Message()
		}
		if child != nil {
			flatten(child, path+".", fe.Cause(), out)
			return
		}
	}
	*out = append(*out, violation{Path: path, Reason: fe.Reason()})
}

// protoPath finds the field or oneof whose Go name is goName.
func protoPath(desc protoreflect.MessageDescriptor, goName string) (string, protoreflect.FieldDescriptor) {
	fields := desc.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if n := goCamelCase(string(fd.Name())); n == goName || n+"_" == goName {
			return string(fd.Name()), fd
		}
	}
	oneofs := desc.Oneofs()
	for i := range oneofs.Len() {
		od := oneofs.Get(i)
		if n := goCamelCase(string(od.Name())); n == goName || n+"_" == goName {
			return string(od.Name()), nil
		}
	}
	return "?" + goName, nil
}

// goCamelCase is how protoc-gen-go names a field (google.golang.org/protobuf's rule).
func goCamelCase(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && i+1 < len(s) && isLower(s[i+1]):
		case c == '.':
			b = append(b, '_')
		case c == '_' && (i == 0 || s[i-1] == '.'):
			b = append(b, 'X')
		case c == '_' && i+1 < len(s) && isLower(s[i+1]):
		case c >= '0' && c <= '9':
			b = append(b, c)
		default:
			if isLower(c) {
				c -= 'a' - 'A'
			}
			b = append(b, c)
			for ; i+1 < len(s) && isLower(s[i+1]); i++ {
				b = append(b, s[i+1])
			}
		}
	}
	return string(b)
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

const maxDepth = 100

// validateAnys finds every Any below m (in fields Go's ValidateAll descends into), unpacks it
// with the global registry and validates its content the same way, prefixing paths.
func validateAnys(m protoreflect.Message, prefix string, out *[]violation, depth int) {
	if depth > maxDepth {
		*out = append(*out, violation{Path: strings.TrimSuffix(prefix, "."), Reason: "nested too deep"})
		return
	}
	if a, ok := m.Interface().(*anypb.Any); ok {
		validateAny(a, strings.TrimSuffix(prefix, "."), out, depth)
		return
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !m.Has(fd) || skipped(fd) {
			continue
		}
		path := prefix + string(fd.Name())
		switch {
		case fd.IsList() && fd.Message() != nil:
			list := m.Get(fd).List()
			for j := range list.Len() {
				validateAnys(list.Get(j).Message(), path+"["+strconv.Itoa(j)+"].", out, depth+1)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			m.Get(fd).Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				key := k.String()
				if fd.MapKey().Kind() == protoreflect.StringKind {
					q, _ := json.Marshal(key)
					key = string(q)
				}
				validateAnys(v.Message(), path+"["+key+"].", out, depth+1)
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			validateAnys(m.Get(fd).Message(), path+".", out, depth+1)
		}
	}
}

func validateAny(a *anypb.Any, path string, out *[]violation, depth int) {
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(a.GetTypeUrl())
	if err != nil {
		*out = append(*out, violation{Path: path, Reason: fmt.Sprintf("unknown type %q", a.GetTypeUrl())})
		return
	}
	inner := mt.New().Interface()
	if err := proto.Unmarshal(a.GetValue(), inner); err != nil {
		*out = append(*out, violation{Path: path, Reason: "does not decode: " + err.Error()})
		return
	}
	if v, ok := inner.(validatable); ok {
		flatten(inner.ProtoReflect().Descriptor(), path+".", v.ValidateAll(), out)
	}
	validateAnys(inner.ProtoReflect(), path+".", out, depth+1)
}

// skipped: a field whose rules say message.skip, which ValidateAll does not descend into.
func skipped(fd protoreflect.FieldDescriptor) bool {
	opts := fd.Options()
	if opts == nil || !proto.HasExtension(opts, validate.E_Rules) {
		return false
	}
	rules, _ := proto.GetExtension(opts, validate.E_Rules).(*validate.FieldRules)
	return rules.GetMessage().GetSkip()
}
