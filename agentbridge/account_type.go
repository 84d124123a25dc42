package agentbridge

import "time"

// Account is one person who may log in: an agent or a supervisor.
type Account struct {
	Name         string
	PasswordHash string
	Role         string
	Skills       []string
	CreatedAt    time.Time
}
