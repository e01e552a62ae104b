// Package compose_test checks docker-compose.yml, the Dockerfile and the
// files in deploy/ by reading them. CI has no container engine, so an
// unpinned image, a service pointed at the wrong address or a search
// attribute the workflows set but compose never creates would otherwise only
// show on someone's first `docker compose up`.
//
// The check functions return the problems they find instead of failing the
// test, so that TestCheckersReportBrokenFiles can show that they do fail.
package compose_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// repoRoot is where docker-compose.yml, the Dockerfile and go.mod live.
const repoRoot = "../.."

// Service names the checks rely on.
const (
	postgresService = "postgresql"
	temporalService = "temporal"
	saJobService    = "temporal-create-search-attributes"
	uiService       = "temporal-ui"
	workerService   = "socflow-worker"
	apiService      = "socflow-api"
)

// temporalAddress is where every client in the compose network must dial:
// the temporal service on the frontend's port.
const temporalAddress = temporalService + ":7233"

var requiredServices = []string{postgresService, temporalService, saJobService, uiService, workerService, apiService}

// searchAttribute is a name and a type as the temporal CLI spells it.
type searchAttribute struct {
	Name string
	Type string
}

// cliTypeNames spells each IndexedValueType as `temporal operator
// search-attribute create --type` takes it.
var cliTypeNames = map[enumspb.IndexedValueType]string{
	enumspb.INDEXED_VALUE_TYPE_KEYWORD:      "Keyword",
	enumspb.INDEXED_VALUE_TYPE_TEXT:         "Text",
	enumspb.INDEXED_VALUE_TYPE_INT:          "Int",
	enumspb.INDEXED_VALUE_TYPE_DOUBLE:       "Double",
	enumspb.INDEXED_VALUE_TYPE_BOOL:         "Bool",
	enumspb.INDEXED_VALUE_TYPE_DATETIME:     "Datetime",
	enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
}

// sqlVisibilitySlots is how many custom search attributes of each type a
// namespace can have on SQL visibility (PostgreSQL here): the schema
// preallocates Keyword01..Keyword10, Int01..Int03 and so on.
var sqlVisibilitySlots = map[string]int{
	"Keyword": 10, "Text": 3, "Int": 3, "Double": 3, "Bool": 3, "Datetime": 3, "KeywordList": 3,
}

// workflowSearchAttributes is the source of truth: what the workflows set.
func workflowSearchAttributes(t *testing.T) []searchAttribute {
	t.Helper()
	var out []searchAttribute
	for _, k := range workflows.SearchAttributeKeys() {
		typ, ok := cliTypeNames[k.GetValueType()]
		if !ok {
			t.Fatalf("search attribute %s has type %v, which this test cannot spell for the CLI: add it to cliTypeNames",
				k.GetName(), k.GetValueType())
		}
		out = append(out, searchAttribute{Name: k.GetName(), Type: typ})
	}
	return out
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	c, err := parseCompose(readRepoFile(t, "docker-compose.yml"))
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// repoFileExists reports whether a path relative to the repository root
// exists.
func repoFileExists(p string) bool {
	_, err := os.Stat(filepath.Join(repoRoot, p))
	return err == nil
}

// goModVersion reads go.mod's go line.
func goModVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go (\S+)\s*$`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	return m[1]
}

func report(t *testing.T, what string, problems []string) {
	t.Helper()
	if len(problems) > 0 {
		t.Errorf("%s has %d problem(s):\n  %s", what, len(problems), strings.Join(problems, "\n  "))
	}
}

func TestComposeFile(t *testing.T) {
	report(t, "docker-compose.yml", checkCompose(loadCompose(t), workflowSearchAttributes(t), repoFileExists))
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(readRepoFile(t, "Dockerfile"))
	report(t, "Dockerfile", checkDockerfile(stages, goModVersion(t), repoFileExists))
}

func TestSearchAttributesFitSQLVisibility(t *testing.T) {
	report(t, "workflows.SearchAttributeKeys", checkSQLVisibilitySlots(workflowSearchAttributes(t)))
}

// checkCompose returns every problem it finds in c. want is the search
// attributes the workflows set; hostFileExists resolves bind-mount sources
// relative to the compose file's folder.
func checkCompose(c composeFile, want []searchAttribute, hostFileExists func(string) bool) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if c.Version != nil {
		bad("top-level version: %q is obsolete in the compose specification; remove it", *c.Version)
	}
	for _, name := range requiredServices {
		if _, ok := c.Services[name]; !ok {
			bad("service %s is missing", name)
		}
	}

	for _, name := range slices.Sorted(maps.Keys(c.Services)) {
		s := c.Services[name]
		switch {
		case s.Image == "" && s.Build == nil:
			bad("service %s has neither image nor build", name)
		case s.Image != "":
			if p := checkImageRef(s.Image); p != "" {
				bad("service %s: %s", name, p)
			}
		}
		for _, m := range s.Volumes {
			if isHostPath(m.Source) && !hostFileExists(m.Source) {
				bad("service %s mounts %s at %s, but %s does not exist in the repository", name, m.Source, m.Target, m.Source)
			}
		}
		args := slices.Concat(s.Entrypoint, s.Command)
		if s.Healthcheck != nil {
			args = append(args, s.Healthcheck.Test...)
		}
		for _, a := range args {
			if strings.Contains(strings.ReplaceAll(a, "$$", ""), "$") {
				bad("service %s: %q in a command is substituted by compose from the host environment; write $$ for a shell's $", name, a)
			}
		}
	}

	if pg, ok := c.Services[postgresService]; ok {
		if pg.Healthcheck == nil || pg.Healthcheck.Disable || len(pg.Healthcheck.Test) == 0 {
			bad("%s has no healthcheck, so temporal's service_healthy condition can never hold", postgresService)
		}
		if t, ok := c.Services[temporalService]; ok {
			if pg.Environment["POSTGRES_USER"] != t.Environment["POSTGRES_USER"] {
				bad("%s POSTGRES_USER=%q but %s POSTGRES_USER=%q: temporal cannot log in",
					temporalService, t.Environment["POSTGRES_USER"], postgresService, pg.Environment["POSTGRES_USER"])
			}
			if pg.Environment["POSTGRES_PASSWORD"] != t.Environment["POSTGRES_PWD"] {
				bad("%s POSTGRES_PWD=%q but %s POSTGRES_PASSWORD=%q: temporal cannot log in",
					temporalService, t.Environment["POSTGRES_PWD"], postgresService, pg.Environment["POSTGRES_PASSWORD"])
			}
		}
	}

	if t, ok := c.Services[temporalService]; ok {
		if got := t.Environment["DB"]; got != "postgres12" {
			bad("%s: DB=%q, want postgres12 (auto-setup's PostgreSQL plugin)", temporalService, got)
		}
		if got := t.Environment["POSTGRES_SEEDS"]; got != postgresService {
			bad("%s: POSTGRES_SEEDS=%q, want the %s service", temporalService, got, postgresService)
		}
		if got := t.DependsOn[postgresService]; got != "service_healthy" {
			bad("%s must depend on %s with condition service_healthy, got %q", temporalService, postgresService, orNone(got))
		}
		if t.Healthcheck == nil || t.Healthcheck.Disable || len(t.Healthcheck.Test) == 0 {
			bad("%s has no healthcheck, so the services waiting for it to be healthy never start", temporalService)
		}
		if p := t.Environment["DYNAMIC_CONFIG_FILE_PATH"]; p != "" && !mountsAt(t, p) {
			bad("%s: DYNAMIC_CONFIG_FILE_PATH=%s, but nothing is mounted there", temporalService, p)
		}
	}

	for _, name := range []string{workerService, apiService, uiService} {
		s, ok := c.Services[name]
		if !ok {
			continue
		}
		if got, set := s.Environment["TEMPORAL_ADDRESS"]; !set {
			bad("%s: TEMPORAL_ADDRESS is not set; it must be %s", name, temporalAddress)
		} else if got != temporalAddress {
			bad("%s: TEMPORAL_ADDRESS=%q, want %s (the %s service's frontend)", name, got, temporalAddress, temporalService)
		}
	}

	for _, name := range []string{workerService, apiService} {
		s, ok := c.Services[name]
		if !ok {
			continue
		}
		if got := s.DependsOn[temporalService]; got != "service_healthy" {
			bad("%s must depend on %s with condition service_healthy, got %q", name, temporalService, orNone(got))
		}
		if got := s.DependsOn[saJobService]; got != "service_completed_successfully" {
			bad("%s must depend on %s with condition service_completed_successfully (it needs the search attributes), got %q",
				name, saJobService, orNone(got))
		}
	}
	if s, ok := c.Services[workerService]; ok && (len(s.Command) == 0 || s.Command[0] != "worker") {
		bad("%s: command %q does not run `socflow worker`", workerService, s.Command)
	}
	if s, ok := c.Services[apiService]; ok {
		if len(s.Command) == 0 || s.Command[0] != "serve" {
			bad("%s: command %q does not run `socflow serve`", apiService, s.Command)
		}
		// Required and taken from the host: a literal would be a secret in
		// the repository, and an optional one lets compose start an API
		// that refuses to listen.
		if got := s.Environment["SOCFLOW_ADMIN_TOKEN"]; !regexp.MustCompile(`^\$\{SOCFLOW_ADMIN_TOKEN:?\?.*\}$`).MatchString(got) {
			bad("%s: SOCFLOW_ADMIN_TOKEN=%q; require it from the host as ${SOCFLOW_ADMIN_TOKEN:?message}", apiService, got)
		}
	}

	if job, ok := c.Services[saJobService]; ok {
		problems = append(problems, checkSearchAttributeJob(job, namespaceOf(c), want)...)
	}
	return problems
}

// checkSearchAttributeJob checks that the one-shot job creates exactly the
// search attributes the workflows set, in the namespace socflow uses.
func checkSearchAttributeJob(job service, namespace string, want []searchAttribute) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if got := job.DependsOn[temporalService]; got != "service_healthy" {
		bad("%s must depend on %s with condition service_healthy, got %q", saJobService, temporalService, orNone(got))
	}
	// admin-tools' own entrypoint idles forever and would take the command
	// as arguments to sleep.
	if len(job.Entrypoint) == 0 {
		bad("%s sets no entrypoint, so the image's own (an idle loop) would swallow the command", saJobService)
	}
	created, ns, addr, err := parseSearchAttributeCreate(slices.Concat(job.Entrypoint, job.Command))
	if err != nil {
		bad("%s: %v", saJobService, err)
		return problems
	}
	if addr != temporalAddress {
		bad("%s: --address %q, want %s", saJobService, addr, temporalAddress)
	}
	if ns != namespace {
		bad("%s: --namespace %q, but socflow uses namespace %q (SQL visibility keeps search attributes per namespace)",
			saJobService, ns, namespace)
	}
	got := map[string]string{}
	for _, sa := range created {
		got[sa.Name] = sa.Type
	}
	for _, w := range want {
		typ, ok := got[w.Name]
		switch {
		case !ok:
			bad("%s does not create %s (%s), which workflows.SearchAttributeKeys lists", saJobService, w.Name, w.Type)
		case !strings.EqualFold(typ, w.Type):
			bad("%s creates %s as %s, but the workflows set it as %s", saJobService, w.Name, typ, w.Type)
		}
		delete(got, w.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		bad("%s creates %s, which workflows.SearchAttributeKeys does not list", saJobService, name)
	}
	return problems
}

// parseSearchAttributeCreate finds `temporal operator search-attribute
// create` in args (a list, or a shell script in one of them) and returns the
// --name/--type pairs, --namespace and --address it is given.
func parseSearchAttributeCreate(args []string) (attrs []searchAttribute, namespace, address string, err error) {
	var words []string
	for _, a := range args {
		for _, w := range strings.Fields(a) {
			if w != `\` {
				words = append(words, strings.Trim(w, `'"`))
			}
		}
	}
	verb := []string{"temporal", "operator", "search-attribute", "create"}
	at := -1
	for i := range words {
		if slices.Equal(words[i:min(i+len(verb), len(words))], verb) {
			at = i + len(verb)
			break
		}
	}
	if at < 0 {
		return nil, "", "", fmt.Errorf("command %q does not run `temporal operator search-attribute create`", args)
	}
	var names, types []string
	namespace = "default" // the CLI's default
	for i := at; i < len(words); i++ {
		w := words[i]
		if slices.Contains([]string{";", "&&", "||", "|"}, w) || strings.HasSuffix(w, ";") {
			break
		}
		flag, value, inline := strings.Cut(w, "=")
		if !strings.HasPrefix(flag, "-") {
			continue
		}
		if !inline {
			if i+1 >= len(words) {
				return nil, "", "", fmt.Errorf("flag %s has no value", flag)
			}
			i++
			value = words[i]
		}
		switch flag {
		case "--name":
			names = append(names, value)
		case "--type":
			types = append(types, value)
		case "--namespace", "-n":
			namespace = value
		case "--address":
			address = value
		}
	}
	if len(names) != len(types) {
		return nil, "", "", fmt.Errorf("%d --name but %d --type: the CLI pairs them in order", len(names), len(types))
	}
	for i := range names {
		attrs = append(attrs, searchAttribute{Name: names[i], Type: types[i]})
	}
	return attrs, namespace, address, nil
}

// checkSQLVisibilitySlots reports search attribute types that need more
// slots than SQL visibility has.
func checkSQLVisibilitySlots(attrs []searchAttribute) []string {
	count := map[string]int{}
	for _, a := range attrs {
		count[a.Type]++
	}
	var problems []string
	for _, typ := range slices.Sorted(maps.Keys(count)) {
		if limit := sqlVisibilitySlots[typ]; count[typ] > limit {
			problems = append(problems, fmt.Sprintf("%d %s search attributes, but SQL visibility has %d per namespace", count[typ], typ, limit))
		}
	}
	return problems
}

// checkImageRef returns what is wrong with an image reference's pin, or "".
func checkImageRef(ref string) string {
	tag, ok := imageTag(ref)
	switch {
	case !ok:
		return fmt.Sprintf("image %s has no tag: pin a version", ref)
	case tag == "latest":
		return fmt.Sprintf("image %s uses latest: pin a version", ref)
	case strings.Contains(tag, "$"):
		return fmt.Sprintf("image %s takes its tag from the environment: pin a version in the file", ref)
	}
	return ""
}

// namespaceOf is the namespace the socflow worker uses.
func namespaceOf(c composeFile) string {
	if ns := c.Services[workerService].Environment["TEMPORAL_NAMESPACE"]; ns != "" {
		return ns
	}
	return config.Default().Temporal.Namespace
}

func mountsAt(s service, target string) bool {
	return slices.ContainsFunc(s.Volumes, func(m mount) bool { return m.Target == target })
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// checkDockerfile returns every problem it finds in the Dockerfile's stages.
// goVersion is go.mod's go line; contextFileExists resolves COPY sources in
// the build context.
func checkDockerfile(stages []stage, goVersion string, contextFileExists func(string) bool) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if len(stages) < 2 {
		bad("%d stage(s): build in one stage and copy the binary into a small runtime image", len(stages))
		if len(stages) == 0 {
			return problems
		}
	}
	stageNames := map[string]bool{}
	var build *stage
	for i := range stages {
		st := &stages[i]
		if !stageNames[st.Image] {
			if p := checkImageRef(st.Image); p != "" {
				bad("line %d: %s", st.From.Line, p)
			}
		}
		if st.Name != "" {
			stageNames[st.Name] = true
		}
		if build == nil && strings.HasPrefix(st.Image, "golang:") {
			build = st
		}
	}

	if build == nil {
		bad("no stage builds FROM golang:<go.mod's version>")
	} else {
		tag, _ := imageTag(build.Image)
		if tag != goVersion && !strings.HasPrefix(tag, goVersion+"-") {
			bad("line %d: builder %s is not Go %s, go.mod's go version", build.From.Line, build.Image, goVersion)
		}
		download, copyAll, goBuild := -1, -1, -1
		for i, in := range build.Instructions {
			switch {
			case in.Cmd == "RUN" && strings.Contains(in.Args, "go mod download") && download < 0:
				download = i
			case in.Cmd == "COPY" && copyAll < 0:
				if _, srcs, _ := copyArgs(in); slices.Contains(srcs, ".") {
					copyAll = i
				}
			case in.Cmd == "RUN" && strings.Contains(in.Args, "go build"):
				goBuild = i
				if !strings.Contains(in.Args, "./cmd/socflow") {
					bad("line %d: go build does not build ./cmd/socflow", in.Line)
				}
				if !strings.Contains(in.Args, "CGO_ENABLED=0") {
					bad("line %d: go build without CGO_ENABLED=0 links against libc, which a static runtime image lacks", in.Line)
				}
			}
		}
		switch {
		case goBuild < 0:
			bad("the %s stage never runs go build", build.Image)
		case download < 0:
			bad("the %s stage has no `go mod download` layer", build.Image)
		case copyAll >= 0 && download > copyAll:
			bad("`go mod download` runs after COPY . ., so every source edit downloads the modules again")
		}
	}

	final := stages[len(stages)-1]
	var user, entrypoint string
	for _, in := range final.Instructions {
		switch in.Cmd {
		case "USER":
			user = in.Args
		case "ENTRYPOINT":
			entrypoint = in.Args
		case "COPY":
			flags, srcs, _ := copyArgs(in)
			if _, ok := flags["from"]; ok {
				continue
			}
			for _, src := range srcs {
				if !contextFileExists(src) {
					bad("line %d: COPY %s, which is not in the repository", in.Line, src)
				}
			}
		}
	}
	// distroless's :nonroot images already default to uid 65532.
	u, _, _ := strings.Cut(user, ":")
	tag, _ := imageTag(final.Image)
	if u == "root" || u == "0" || (u == "" && tag != "nonroot") {
		bad("the runtime stage runs as root: set USER to a non-root user")
	}
	if entrypoint != `["/usr/local/bin/socflow"]` {
		bad("runtime ENTRYPOINT is %q, want [\"/usr/local/bin/socflow\"]", entrypoint)
	}
	return problems
}

// TestImageConfiguration loads deploy/socflow.yaml the way the containers
// see it: the files the Dockerfile copies under /etc/socflow, with the
// compose bind mounts on top. It catches a configuration that does not
// parse, data files that are not where the configuration's relative paths
// point, a data_dir the read-only worker cannot write, and an API that would
// refuse to listen.
func TestImageConfiguration(t *testing.T) {
	c := loadCompose(t)
	stages := parseDockerfile(readRepoFile(t, "Dockerfile"))
	if len(stages) == 0 {
		t.Fatal("Dockerfile has no stages")
	}
	for _, name := range []string{workerService, apiService} {
		t.Run(name, func(t *testing.T) {
			s, ok := c.Services[name]
			if !ok {
				t.Fatalf("service %s is missing", name)
			}
			root := t.TempDir()
			for _, in := range stages[len(stages)-1].Instructions {
				if in.Cmd != "COPY" {
					continue
				}
				flags, srcs, dest := copyArgs(in)
				if _, ok := flags["from"]; ok {
					continue
				}
				for _, src := range srcs {
					copyInto(t, filepath.Join(repoRoot, src), root, dest)
				}
			}
			for _, m := range s.Volumes {
				if isHostPath(m.Source) {
					copyInto(t, filepath.Join(repoRoot, m.Source), root, m.Target)
				}
			}

			path := flagValue(s.Command, "--config")
			if path == "" {
				t.Fatalf("%s: command %q has no --config", name, s.Command)
			}
			cfg, err := config.Load(filepath.Join(root, path), composeLookup(s.Environment))
			if err != nil {
				t.Fatalf("%s: %s as the container sees it: %v", name, path, err)
			}
			if err := cfg.ValidatePlaybooks(playbooks.Builtin().Has); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if cfg.Temporal.Address != temporalAddress {
				t.Errorf("%s dials %s, want %s", name, cfg.Temporal.Address, temporalAddress)
			}
			switch name {
			case workerService:
				if !mountsAt(s, cfg.DataDir) {
					t.Errorf("%s writes its audit log under data_dir %s, but no volume is mounted there (the container's root is read-only, and the log would die with it)",
						name, cfg.DataDir)
				}
			case apiService:
				addr := flagValue(s.Command, "--addr")
				if addr == "" {
					addr = cfg.Server.Addr
				}
				if err := worker.CheckAuth(context.Background(), addr, worker.APIOptions{Config: cfg}, nil); err != nil {
					t.Errorf("%s would not start: %v", name, err)
				}
			}
		})
	}
}

// composeLookup resolves environment variables as a container would see
// them: literals as written, and values compose takes from the host
// (${VAR...}) as a stand-in, since compose refuses to start without the
// required ones.
func composeLookup(env envVars) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		if !ok {
			return "", false
		}
		if strings.HasPrefix(v, "${") {
			return "value-from-the-host", true
		}
		return v, true
	}
}

func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

// copyInto copies src (a file or a folder) to dest inside root with COPY's
// rules: a folder's contents go into dest; a file goes into dest if dest
// ends in a slash, else becomes dest.
func copyInto(t *testing.T, src, root, dest string) {
	t.Helper()
	info, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(root, filepath.FromSlash(dest))
	if !info.IsDir() {
		if strings.HasSuffix(dest, "/") {
			target = filepath.Join(target, filepath.Base(src))
		}
		copyFile(t, src, target)
		return
	}
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		copyFile(t, p, filepath.Join(target, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// brokenCompose has one of each mistake the checks exist for. The API's
// environment is a list with the right address, so that the list form is
// shown to be read too.
const brokenCompose = `
version: "3.8"
services:
  postgresql:
    image: postgres
    environment: {POSTGRES_USER: temporal, POSTGRES_PASSWORD: secret}
  temporal:
    image: temporalio/auto-setup:latest
    depends_on: [postgresql]
    environment:
      DB: mysql8
      POSTGRES_USER: temporal
      POSTGRES_PWD: temporal
      DYNAMIC_CONFIG_FILE_PATH: /etc/temporal/config/dynamicconfig/socflow.yaml
  temporal-create-search-attributes:
    image: temporalio/admin-tools:1.29.1-tctl-1.18.4-cli-1.5.0
    depends_on: [temporal]
    command: >-
      temporal operator search-attribute create --namespace default --address localhost:7233
      --name SocflowPriority --type Keyword --name SocflowScore --type Keyword --name SocflowExtra --type Bool
  socflow-worker:
    build: .
    image: socflow:local
    command: ["worker"]
    environment:
      TEMPORAL_NAMESPACE: default
    volumes:
      - ./deploy/missing.yaml:/etc/socflow/socflow.yaml:ro
    depends_on:
      temporal: {condition: service_started}
  socflow-api:
    image: socflow:local
    command: ["sh", "-c", "socflow serve --addr $ADDR"]
    environment:
      - TEMPORAL_ADDRESS=temporal:7233
      - SOCFLOW_ADMIN_TOKEN=hunter2
`

const brokenDockerfile = `
FROM golang:1.25-alpine
COPY . .
RUN go mod download
RUN go build -o /socflow ./cmd/other
FROM alpine
COPY missing/ /etc/socflow/
ENTRYPOINT ["/socflow"]
`

// TestCheckersReportBrokenFiles shows that each check can fail: it runs
// them on files with known mistakes and wants every mistake reported.
func TestCheckersReportBrokenFiles(t *testing.T) {
	want := []searchAttribute{{"SocflowPriority", "Keyword"}, {"SocflowScore", "Int"}, {"SocflowDrill", "Bool"}}
	c, err := parseCompose(brokenCompose)
	if err != nil {
		t.Fatal(err)
	}
	problems := checkCompose(c, want, func(string) bool { return false })
	expectReported(t, "compose", problems, []string{
		`top-level version: "3.8" is obsolete`,
		"service temporal-ui is missing",
		"service postgresql: image postgres has no tag",
		"service temporal: image temporalio/auto-setup:latest uses latest",
		"postgresql has no healthcheck",
		"temporal POSTGRES_PWD=\"temporal\" but postgresql POSTGRES_PASSWORD=\"secret\"",
		`temporal: DB="mysql8", want postgres12`,
		`temporal: POSTGRES_SEEDS=""`,
		`temporal must depend on postgresql with condition service_healthy, got "service_started"`,
		"temporal has no healthcheck",
		"DYNAMIC_CONFIG_FILE_PATH=/etc/temporal/config/dynamicconfig/socflow.yaml, but nothing is mounted there",
		"socflow-worker: TEMPORAL_ADDRESS is not set",
		`socflow-worker must depend on temporal with condition service_healthy, got "service_started"`,
		`socflow-worker must depend on temporal-create-search-attributes with condition service_completed_successfully (it needs the search attributes), got "none"`,
		"service socflow-worker mounts ./deploy/missing.yaml",
		`socflow-api: command ["sh" "-c" "socflow serve --addr $ADDR"] does not run`,
		`service socflow-api: "socflow serve --addr $ADDR" in a command is substituted by compose`,
		`socflow-api: SOCFLOW_ADMIN_TOKEN="hunter2"`,
		"temporal-create-search-attributes must depend on temporal with condition service_healthy",
		"temporal-create-search-attributes sets no entrypoint",
		`--address "localhost:7233", want temporal:7233`,
		"creates SocflowScore as Keyword, but the workflows set it as Int",
		"does not create SocflowDrill (Bool)",
		"creates SocflowExtra, which workflows.SearchAttributeKeys does not list",
	})
	for _, p := range problems {
		if strings.HasPrefix(p, "socflow-api: TEMPORAL_ADDRESS") {
			t.Errorf("the API's list-form TEMPORAL_ADDRESS=temporal:7233 is right, yet: %s", p)
		}
	}

	expectReported(t, "Dockerfile", checkDockerfile(parseDockerfile(brokenDockerfile), "1.26.8", func(string) bool { return false }), []string{
		"line 6: image alpine has no tag",
		"builder golang:1.25-alpine is not Go 1.26.8",
		"go build does not build ./cmd/socflow",
		"go build without CGO_ENABLED=0",
		"`go mod download` runs after COPY . .",
		"COPY missing/, which is not in the repository",
		"the runtime stage runs as root",
		`runtime ENTRYPOINT is "[\"/socflow\"]"`,
	})

	var keywords []searchAttribute
	for i := range 11 {
		keywords = append(keywords, searchAttribute{fmt.Sprintf("K%d", i), "Keyword"})
	}
	expectReported(t, "SQL slots", checkSQLVisibilitySlots(keywords), []string{
		"11 Keyword search attributes, but SQL visibility has 10",
	})
}

func expectReported(t *testing.T, what string, problems, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, w) }) {
			t.Errorf("%s: no problem reported containing %q; got:\n  %s", what, w, strings.Join(problems, "\n  "))
		}
	}
}
