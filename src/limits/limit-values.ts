export type BudgetPeriod = 'total' | 'day' | 'week' | 'month';

/** The limits of one subject (a key or a user); null = unlimited. */
export interface LimitValues {
  readonly rpm: number | null;
  readonly rph: number | null;
  readonly tpm: number | null;
  readonly concurrent: number | null;
  /** Spend cap in the deployment's currency (that of the prices; USD by default). */
  readonly budget: number | null;
  readonly budgetPeriod: BudgetPeriod;
}

export interface LimitSubject {
  readonly kind: 'key' | 'user';
  readonly id: string;
  readonly limits: LimitValues;
}

export const NO_LIMITS: LimitValues = {
  rpm: null,
  rph: null,
  tpm: null,
  concurrent: null,
  budget: null,
  budgetPeriod: 'total',
};

/** Fields set in `override` (non-null) win over `base`. */
export function mergeLimits(base: LimitValues, override: Partial<LimitValues>): LimitValues {
  return {
    rpm: override.rpm ?? base.rpm,
    rph: override.rph ?? base.rph,
    tpm: override.tpm ?? base.tpm,
    concurrent: override.concurrent ?? base.concurrent,
    budget: override.budget ?? base.budget,
    budgetPeriod: override.budgetPeriod ?? base.budgetPeriod,
  };
}

export function hasAnyLimit(limits: LimitValues): boolean {
  return (
    limits.rpm !== null ||
    limits.rph !== null ||
    limits.tpm !== null ||
    limits.concurrent !== null ||
    limits.budget !== null
  );
}
