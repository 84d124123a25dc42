package agentbridge

import (
	"io/fs"
	"net/http"
	"sort"
)

// supervisorPage serves the supervisor's live view (web/supervisor.html): a logged-in supervisor (or the API
// token) gets the page, any other role 403, and a visitor who is not logged in is sent to the login page, which
// comes back here afterwards.
func (b *Bridge) supervisorPage(static fs.FS) http.Handler {
	page := b.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, static, "supervisor.html")
	}), RoleSupervisor)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := b.Authenticate(r); !ok {
			http.Redirect(w, r, "/?next=/supervisor", http.StatusSeeOther)
			return
		}
		page.ServeHTTP(w, r)
	})
}

// handleAgents lists the logged-in agents with their presence, by name (GET /api/agents, supervisors only).
func (b *Bridge) handleAgents(w http.ResponseWriter, r *http.Request) {
	list := b.Agents()
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	for i := range list {
		if list[i].Skills == nil {
			list[i].Skills = []string{}
		}
	}
	writeJSON(w, list)
}
