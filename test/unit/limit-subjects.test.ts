import { describe, expect, it } from 'vitest';
import { compileModelScope } from '../../src/auth/model-scope.js';
import { limitsConfigSchema } from '../../src/config/accounting-schema.js';
import { limitSubjects } from '../../src/pipeline/request-accounting.js';
import type { Principal } from '../../src/spec/principal.js';

function principal(limits: Partial<Principal['limits']> = {}): Principal {
  return {
    keyId: 'key-1',
    keyName: 'one',
    keyHint: 'sk-…abcd',
    models: [],
    allowsModel: compileModelScope([]),
    purpose: 'default',
    userId: 'alice',
    userName: 'Alice',
    limits: { rpm: null, rph: null, tpm: null, concurrent: null, budget: null, ...limits },
    channelId: null,
    byok: null,
  };
}

describe('limitSubjects', () => {
  it("a user's own entry that sets no budget keeps the budget period of limits.users", () => {
    const config = limitsConfigSchema.parse({
      users: { budget: 10, budget_period: 'day' },
      per_user: { alice: { rpm: 5 } },
    });
    const user = limitSubjects(principal(), config).find((s) => s.kind === 'user');
    expect(user?.limits).toMatchObject({ rpm: 5, budget: 10, budgetPeriod: 'day' });
  });

  it("a user's own budget without a period keeps the period of limits.users", () => {
    const config = limitsConfigSchema.parse({
      users: { budget: 10, budget_period: 'month' },
      per_user: { alice: { budget: 50 } },
    });
    const user = limitSubjects(principal(), config).find((s) => s.kind === 'user');
    expect(user?.limits).toMatchObject({ budget: 50, budgetPeriod: 'month' });
  });

  it('a user without an entry of its own gets limits.users as they are', () => {
    const config = limitsConfigSchema.parse({ users: { budget: 10, budget_period: 'week' } });
    const user = limitSubjects(principal(), config).find((s) => s.kind === 'user');
    expect(user?.limits).toMatchObject({ budget: 10, budgetPeriod: 'week' });
  });
});

describe('limitSubjects: per_user entries', () => {
  it('finds the entry under the user name as well as under the id, the id first', () => {
    const byName = limitsConfigSchema.parse({ per_user: { Alice: { rpm: 7 } } });
    expect(limitSubjects(principal(), byName).find((s) => s.kind === 'user')?.limits.rpm).toBe(7);
    const both = limitsConfigSchema.parse({ per_user: { Alice: { rpm: 7 }, alice: { rpm: 3 } } });
    expect(limitSubjects(principal(), both).find((s) => s.kind === 'user')?.limits.rpm).toBe(3);
  });
});

describe('limitSubjects: key budgets', () => {
  it('a budget from limits.keys that names no period counts per limits.key_budget_period', () => {
    const config = limitsConfigSchema.parse({ keys: { budget: 5 }, key_budget_period: 'month' });
    const key = limitSubjects(principal(), config).find((s) => s.kind === 'key');
    expect(key?.limits).toMatchObject({ budget: 5, budgetPeriod: 'month' });
  });

  it("a key's stored budget counts per limits.key_budget_period", () => {
    const config = limitsConfigSchema.parse({ key_budget_period: 'day' });
    const key = limitSubjects(principal({ budget: 3 }), config).find((s) => s.kind === 'key');
    expect(key?.limits).toMatchObject({ budget: 3, budgetPeriod: 'day' });
  });
});
