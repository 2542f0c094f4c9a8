// Command validate-peer is the go-control-plane side of xdskit's validation benchmark and of
// @xdskit/validate's agreement tests. It reads resources written as length-prefixed Anys and
//
//   - bench: times go-control-plane's generated ValidateAll() over all of them (and, as a second
//     figure, ValidateAll plus validating every Any they contain, which is what @xdskit/validate
//     does), printing one JSON object;
//   - check: prints, per resource, every violation as a proto field path and Go's reason, one
//     JSON line per resource, for the TypeScript side to compare with its own;
//   - regex: reads JSON lines {"pattern", "input"} and prints whether Go's regexp (which the
//     generated code compiles PGV patterns with) matches, "1" or "0" per line.
//
// It holds no validation rules of its own: every rule is go-control-plane's generated code.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: validate-peer bench|check -in FILE [-passes N] [-warmup N] | regex < cases")
		os.Exit(2)
	}
	if os.Args[1] == "regex" {
		regex()
		return
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	in := fs.String("in", "", "file of 4-byte big-endian length-prefixed google.protobuf.Any encodings")
	passes := fs.Int("passes", 20, "bench: timed passes over all resources")
	warmup := fs.Int("warmup", 10, "bench: untimed passes first (the TypeScript side needs them for its JIT; both get them)")
	_ = fs.Parse(os.Args[2:])
	data, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	resources, err := decodeResources(*in, data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switch os.Args[1] {
	case "bench":
		bench(resources, func() []resource {
			fresh, err := decodeResources(*in, data)
			if err != nil {
				panic(err)
			}
			return fresh
		}, *passes, *warmup)
	case "check":
		check(resources)
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", os.Args[1])
		os.Exit(2)
	}
}

// decodeResources unpacks every Any of data (the bytes of file) into its concrete message type. A
// resource whose type is unknown or whose bytes do not decode is kept as nil and reported by check.
func decodeResources(file string, data []byte) ([]resource, error) {
	var out []resource
	for at := 0; at < len(data); {
		if at+4 > len(data) {
			return nil, fmt.Errorf("%s: truncated length at byte %d", file, at)
		}
		n := int(binary.BigEndian.Uint32(data[at:]))
		if at+4+n > len(data) {
			return nil, fmt.Errorf("%s: truncated record at byte %d", file, at)
		}
		var a anypb.Any
		if err := proto.Unmarshal(data[at+4:at+4+n], &a); err != nil {
			return nil, fmt.Errorf("%s: record at byte %d is not an Any: %w", file, at, err)
		}
		r := resource{typeURL: a.GetTypeUrl()}
		if m, err := a.UnmarshalNew(); err != nil {
			r.err = err
		} else {
			r.msg = m
		}
		out = append(out, r)
		at += 4 + n
	}
	return out, nil
}

type resource struct {
	typeURL string
	msg     proto.Message
	err     error
}

type validatable interface{ ValidateAll() error }

func check(resources []resource) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for i, r := range resources {
		var vs []violation
		if r.err != nil {
			vs = append(vs, violation{Path: "", Reason: "does not decode: " + r.err.Error()})
		} else {
			vs = validateDeep(r.msg)
		}
		sort.Slice(vs, func(a, b int) bool {
			return vs[a].Path < vs[b].Path || vs[a].Path == vs[b].Path && vs[a].Reason < vs[b].Reason
		})
		if vs == nil {
			vs = []violation{}
		}
		if err := enc.Encode(struct {
			Index      int         `json:"index"`
			TypeURL    string      `json:"typeUrl"`
			Violations []violation `json:"violations"`
		}{i, r.typeURL, vs}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// validateDeep is ValidateAll on the resource plus ValidateAll on the content of every Any it
// holds, recursively, with every violation as a proto field path from the resource.
func validateDeep(m proto.Message) []violation {
	var out []violation
	if v, ok := m.(validatable); ok {
		flatten(m.ProtoReflect().Descriptor(), "", v.ValidateAll(), &out)
	}
	validateAnys(m.ProtoReflect(), "", &out, 0)
	return out
}

// bench times each figure over `passes` passes after `warmup` untimed ones. validateFreshMs is
// ValidateAll on messages decoded again before each pass (decoding not timed): what validating a
// snapshot just built or received costs, where the other figures go over the same messages again.
func bench(resources []resource, decodeAgain func() []resource, passes, warmup int) {
	messagesOf := func(resources []resource) []proto.Message {
		msgs := make([]proto.Message, 0, len(resources))
		for _, r := range resources {
			if r.err != nil {
				fmt.Fprintln(os.Stderr, "resource does not decode:", r.err)
				os.Exit(1)
			}
			msgs = append(msgs, r.msg)
		}
		return msgs
	}
	msgs := messagesOf(resources)
	validateEach := func(msgs []proto.Message) int {
		n := 0
		for _, m := range msgs {
			if err := m.(validatable).ValidateAll(); err != nil {
				n++
			}
		}
		return n
	}
	validateAll := func() int { return validateEach(msgs) }
	var fresh []proto.Message
	validateFresh := func() int { return validateEach(fresh) }
	decodeFresh := func() { fresh = messagesOf(decodeAgain()) }
	validateDeepAll := func() int {
		n := 0
		for _, m := range msgs {
			n += len(validateDeep(m))
		}
		return n
	}
	marshalAll := func() int {
		n := 0
		for _, m := range msgs {
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
			if err != nil {
				panic(err)
			}
			n += len(b)
		}
		return n
	}
	result := map[string]any{"resources": len(msgs), "passes": passes}
	for _, c := range []struct {
		name    string
		run     func() int
		prepare func()
	}{
		{"validateAllMs", validateAll, nil},
		{"validateAllAnyMs", validateDeepAll, nil},
		{"marshalMs", marshalAll, nil},
		{"validateFreshMs", validateFresh, decodeFresh},
	} {
		prepare := c.prepare
		if prepare == nil {
			prepare = func() {}
		}
		prepare()
		check := c.run() // warm-up, and the count every pass must repeat
		for range warmup - 1 {
			prepare()
			c.run()
		}
		if c.name != "marshalMs" {
			result[c.name+"Failures"] = check
		}
		times := make([]float64, passes)
		cpu := make([]float64, passes)
		for p := range passes {
			prepare()
			startCPU := cpuTime()
			start := time.Now()
			if c.run() != check {
				panic(c.name + ": passes disagree")
			}
			times[p] = float64(time.Since(start).Nanoseconds()) / 1e6
			cpu[p] = float64((cpuTime() - startCPU).Nanoseconds()) / 1e6
		}
		result[c.name] = times
		result[strings.TrimSuffix(c.name, "Ms")+"CpuMs"] = cpu
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(result); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// cpuTime is the CPU time this process used so far (all threads: the garbage collector's too).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func regex() {
	compiled := map[string]*regexp.Regexp{}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for scanner.Scan() {
		var c struct {
			Pattern string `json:"pattern"`
			Input   string `json:"input"`
		}
		if err := json.Unmarshal(scanner.Bytes(), &c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		re, ok := compiled[c.Pattern]
		if !ok {
			re = regexp.MustCompile(c.Pattern)
			compiled[c.Pattern] = re
		}
		if re.MatchString(c.Input) {
			out.WriteString("1\n")
		} else {
			out.WriteString("0\n")
		}
	}
	if err := scanner.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
