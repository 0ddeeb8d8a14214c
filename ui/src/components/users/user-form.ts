import type { CreateUserBody, UpdateUserBody, UserView } from '../../api/types';

export interface UserFormModel {
  name: string;
  email: string;
  notes: string;
  enabled: boolean;
}

export type UserField = 'name' | 'email' | 'notes';

/** Field → message key under users.form.errors. */
export type UserFormErrors = Partial<Record<UserField, string>>;

/** The server's user name rule. */
export const USER_NAME_PATTERN = /^[A-Za-z0-9._@-]+$/;
/** The server's (zod) email rule. */
const EMAIL_PATTERN =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

export function emptyUserForm(): UserFormModel {
  return { name: '', email: '', notes: '', enabled: true };
}

export function userFormFrom(user: UserView): UserFormModel {
  return { name: user.name, email: user.email ?? '', notes: user.notes ?? '', enabled: user.enabled };
}

export function validateUserForm(form: UserFormModel): UserFormErrors {
  const errors: UserFormErrors = {};
  const name = form.name.trim();
  if (name === '') errors.name = 'nameRequired';
  else if (name.length > 64) errors.name = 'nameTooLong';
  else if (!USER_NAME_PATTERN.test(name)) errors.name = 'namePattern';
  const email = form.email.trim();
  if (email !== '' && !EMAIL_PATTERN.test(email)) errors.email = 'emailInvalid';
  if (form.notes.length > 2000) errors.notes = 'notesTooLong';
  return errors;
}

function orNull(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

export function createUserBody(form: UserFormModel): CreateUserBody {
  return {
    name: form.name.trim(),
    email: orNull(form.email),
    notes: orNull(form.notes),
    enabled: form.enabled,
  };
}

/** PATCH /users/:id body with only what changed. */
export function updateUserBody(form: UserFormModel, current: UserView): UpdateUserBody {
  const body: UpdateUserBody = {};
  const name = form.name.trim();
  if (name !== current.name) body.name = name;
  const email = orNull(form.email);
  if (email !== current.email) body.email = email;
  const notes = orNull(form.notes);
  if (notes !== current.notes) body.notes = notes;
  if (form.enabled !== current.enabled) body.enabled = form.enabled;
  return body;
}

export function userFieldOfParam(param: string | null): UserField | null {
  const head = param?.split('.')[0];
  return head === 'name' || head === 'email' || head === 'notes' ? head : null;
}
