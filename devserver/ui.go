package devserver

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// uiStopTimeout bounds how long Stop waits for the UI goroutine; the UI
// closes its listener at once, so hitting this means it is stuck.
const uiStopTimeout = 5 * time.Second

// startUI runs the Temporal Web UI in the background. Failures are logged,
// never returned or panicked: the UI is a convenience and the server is
// already running. Start has checked the port, so a bind failure here means
// it was taken in the last few milliseconds.
func (s *Server) startUI(opts Options, frontendAddr string) {
	ui, err := newUI(opts, frontendAddr)
	if err != nil {
		s.logger.Error("temporal UI disabled", "error", err)
		return
	}
	s.ui = ui
	s.uiAddr = hostPort(dialHost(opts.IP), opts.UIPort)
	s.uiURL = "http://" + s.uiAddr
	s.uiDone = make(chan struct{})
	go func() {
		defer close(s.uiDone)
		defer func() {
			if r := recover(); r != nil {
				s.logger.Error("temporal UI crashed", "panic", r)
			}
		}()
		// Start blocks until Stop and returns nil on a clean shutdown.
		if err := ui.Start(); err != nil {
			s.logger.Error("temporal UI stopped", "error", err)
		}
	}()
}

// newUI builds the UI server, turning its constructor's panics (bad config,
// missing embedded assets) into an error.
func newUI(opts Options, frontendAddr string) (ui *uiserver.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("devserver: build UI: %v", r)
		}
	}()
	return uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		// The UI formats its listen address as host:port without brackets.
		Host:                bracketIPv6(opts.IP),
		Port:                opts.UIPort,
		TemporalGRPCAddress: frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		// Plain HTTP on localhost: a Secure cookie would never be sent back.
		CORS:     uiconfig.CORS{CookieInsecure: true},
		HideLogs: true,
		// A dev server may run offline; the news feed is an outbound call
		// on every page load.
		DisableNewsFetch: true,
		// The browser calls the endpoint itself; the dev UI has no sign-in,
		// so there is no access token or cookie to pass along.
		Codec: uiconfig.Codec{Endpoint: opts.CodecEndpoint},
	})), nil
}

// dialUI succeeds once the UI accepts TCP connections.
func (s *Server) dialUI(ctx context.Context) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.uiAddr)
	if err != nil {
		return err
	}
	return conn.Close()
}

func (s *Server) stopUI() {
	s.ui.Stop()
	select {
	case <-s.uiDone:
	case <-time.After(uiStopTimeout):
		s.logger.Warn("temporal UI did not stop in time", "timeout", uiStopTimeout)
	}
}

func bracketIPv6(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]"
	}
	return ip
}
