package agentbridge

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Roles of an account.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
)

// AccountStore is what the bridge needs from the account storage (store.Store satisfies it).
type AccountStore interface {
	PutAccount(ctx context.Context, a Account) error
	GetAccount(ctx context.Context, name string) (*Account, error)
	ListAccounts(ctx context.Context) ([]Account, error)
	DeleteAccount(ctx context.Context, name string) error
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 8

// bcryptCost is the bcrypt work factor: about 50 ms per check on the 2-core reference machine.
var bcryptCost = 11

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ValidateName checks an account name: 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("account name %q: use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	return nil
}

// ValidateRole checks a role name.
func ValidateRole(role string) error {
	if role != RoleAgent && role != RoleSupervisor {
		return fmt.Errorf("role %q: must be agent or supervisor", role)
	}
	return nil
}

// ParseSkills splits a comma-separated skill list ("en,billing"), trimming, lower-casing and dropping empties.
func ParseSkills(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// HashPassword returns the bcrypt hash of password, refusing passwords shorter than MinPasswordLen or longer than
// bcrypt's 72 bytes.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLen {
		return "", fmt.Errorf("password: at least %d characters are needed", MinPasswordLen)
	}
	if len(password) > 72 {
		return "", errors.New("password: at most 72 bytes (bcrypt's limit)")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches the bcrypt hash.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// dummyHash is compared against when the account does not exist, so a login takes as long either way.
// It is made on first use, so commands that never check a login do not pay for it.
var dummyHash = sync.OnceValue(func() string {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a real password"), bcryptCost)
	return string(h)
})

// NewAccount builds a validated account with a hashed password.
func NewAccount(name, password, role string, skills []string) (Account, error) {
	if err := ValidateName(name); err != nil {
		return Account{}, err
	}
	if err := ValidateRole(role); err != nil {
		return Account{}, err
	}
	h, err := HashPassword(password)
	if err != nil {
		return Account{}, err
	}
	return Account{Name: name, PasswordHash: h, Role: role, Skills: skills, CreatedAt: time.Now().UTC()}, nil
}

// RandomPassword returns a 16-character password from an unambiguous alphabet.
func RandomPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// EnsureDemoAgent creates the demo agent (Config.DemoAgent, no skills, a random password) when the store has no
// accounts at all, so a fresh `hotline serve` can be tried at once. It returns the password only when it created
// the account; the caller logs it.
func (b *Bridge) EnsureDemoAgent(ctx context.Context) (name, password string, created bool, err error) {
	list, err := b.accounts.ListAccounts(ctx)
	if err != nil {
		return "", "", false, fmt.Errorf("demo agent: listing accounts: %w", err)
	}
	if len(list) > 0 {
		return "", "", false, nil
	}
	password = RandomPassword()
	a, err := NewAccount(b.cfg.DemoAgent, password, RoleAgent, nil)
	if err != nil {
		return "", "", false, fmt.Errorf("demo agent %q: %w", b.cfg.DemoAgent, err)
	}
	if err := b.accounts.PutAccount(ctx, a); err != nil {
		return "", "", false, fmt.Errorf("demo agent %q: %w", b.cfg.DemoAgent, err)
	}
	return a.Name, password, true, nil
}

// skillsMatch reports whether an agent with skills may take a call that requires required: an agent without
// skills takes anything, a call without requirements goes to anyone, otherwise the agent needs every required skill.
func skillsMatch(agent, required []string) bool {
	if len(agent) == 0 || len(required) == 0 {
		return true
	}
	for _, r := range required {
		found := false
		for _, s := range agent {
			if strings.EqualFold(s, r) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
