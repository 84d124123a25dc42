package agentbridge

import "github.com/hotline/hotline/store"

// Account is one person who may log in: an agent or a supervisor (the store's type).
type Account = store.Account
