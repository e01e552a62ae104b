package enrich

import (
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// users is the login history in socflow's store: has this user logged in
// from there before, and how fast would they have had to travel? The
// alert's own login outcome (labels.outcome) is recorded into it.
func users() Source {
	return Source{
		Name: Users,
		Start: func(in *Input) workflow.Future {
			if len(in.Users) == 0 {
				return nil
			}
			a := in.Alert
			q := activities.AssessUsersInput{Users: in.Users, IP: a.SourceIP(), At: a.Time, Source: a.Source}
			switch strings.ToLower(a.Labels["outcome"]) {
			case "success":
				ok := true
				q.Success = &ok
			case "failure":
				ok := false
				q.Success = &ok
			}
			return in.Store("login history", e.AssessUsers, q)
		},
		Fold: foldInto(func(pkt *alert.ContextPacket, res activities.AssessUsersResult) { pkt.Users = res.Users }),
	}
}
