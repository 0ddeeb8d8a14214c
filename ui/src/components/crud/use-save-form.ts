import { useMessage } from 'naive-ui';
import { type Ref, ref, shallowRef, watch } from 'vue';
import { useI18n } from 'vue-i18n';
import { ApiError, api, errorText } from '../../api/client';

/** A client check's complaint about a field: a message key under `<messages>.errors`, maybe with parameters. */
export type FieldError = string | { key: string; params?: Record<string, string> };

export type FieldErrors<Field extends string> = Partial<Record<Field, FieldError>>;

/** What the admin API answers for a created or updated item. */
interface Named {
  id: string;
  name: string;
}

export interface SaveFormOptions<Field extends string, Item extends Named> {
  /** the modal's open state: opening it clears the errors and calls `fill` */
  show: Ref<boolean>;
  /** where the form's texts live, e.g. 'channels.form': `.created`, `.saved`, `.nothingChanged`, `.errors.*` */
  messages: string;
  /** the collection, e.g. '/channels': a new item is POSTed there, an edit PATCHed to `<path>/<id>` */
  path: string;
  /** the item being edited, or null to add one */
  current: () => Item | null;
  /** puts the item (or a blank form) into the form model */
  fill: () => void;
  validate: () => FieldErrors<Field>;
  /** the form's current value of each field: editing a field clears its error */
  values: () => Record<Field, unknown>;
  createBody: () => unknown;
  /** only the fields that changed; an empty body saves nothing */
  updateBody: (current: Item) => object;
  /** the form field a server error's `param` is about, if any */
  fieldOfParam: (param: string | null) => Field | null;
  /** the server's answer, and whether it is a new item */
  onSaved: (item: Item, created: boolean) => void;
}

/**
 * The add/edit flow of a form modal: client checks, then POST (add) or PATCH of the changed fields
 * (edit), a success message and closing; a server error is shown, under its field when it names one.
 */
export function useSaveForm<Field extends string, Item extends Named>(options: SaveFormOptions<Field, Item>) {
  const { t } = useI18n();
  const message = useMessage();
  const { show, messages } = options;

  const errors = shallowRef<FieldErrors<Field>>({});
  /** the banner under the form */
  const serverError = ref<string | null>(null);
  /** whether the banner only says to fix the highlighted fields */
  const bannerIsFix = ref(false);
  const serverField = shallowRef<Field | null>(null);
  /** the server's complaint shown under `serverField` */
  const serverFieldError = ref<string | null>(null);
  const saving = ref(false);

  function clearServer(): void {
    serverError.value = null;
    bannerIsFix.value = false;
    serverField.value = null;
    serverFieldError.value = null;
  }

  watch(show, (open) => {
    if (!open) return;
    options.fill();
    errors.value = {};
    clearServer();
  });

  /** Each field's value, compared as text so that edits inside lists count. */
  function snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [field, value] of Object.entries(options.values())) out[field] = JSON.stringify(value) ?? '';
    return out;
  }

  // Editing a field clears its error, and the "fix the highlighted fields" banner once none is left.
  watch(snapshot, (now, before) => {
    const edited = Object.keys(now).filter((field) => now[field] !== before[field]) as Field[];
    if (edited.length === 0) return;
    const next: FieldErrors<Field> = { ...errors.value };
    let changed = false;
    for (const field of edited) {
      if (next[field] !== undefined) {
        delete next[field];
        changed = true;
      }
      if (serverField.value === field) {
        serverField.value = null;
        serverFieldError.value = null;
      }
    }
    if (changed) errors.value = next;
    const anyLeft = Object.values(errors.value).some((e) => e !== undefined) || serverField.value !== null;
    if (bannerIsFix.value && !anyLeft) {
      serverError.value = null;
      bannerIsFix.value = false;
    }
  });

  /** Feedback under a field: the client check first, then a server error about that field. */
  function feedback(field: Field): string | undefined {
    const error = errors.value[field];
    if (typeof error === 'string') return t(`${messages}.errors.${error}`);
    if (error) return t(`${messages}.errors.${error.key}`, error.params ?? {});
    if (serverField.value === field && serverFieldError.value) return serverFieldError.value;
    return undefined;
  }

  function status(field: Field): 'error' | undefined {
    return feedback(field) ? 'error' : undefined;
  }

  async function save(): Promise<void> {
    clearServer();
    const found = options.validate();
    errors.value = found;
    if (Object.values(found).some((e) => e !== undefined)) {
      serverError.value = t(`${messages}.errors.fixFields`);
      bannerIsFix.value = true;
      return;
    }
    saving.value = true;
    try {
      const current = options.current();
      if (!current) {
        const created = await api<Item>('POST', options.path, options.createBody());
        message.success(t(`${messages}.created`, { name: created.name }));
        options.onSaved(created, true);
      } else {
        const body = options.updateBody(current);
        if (Object.keys(body).length === 0) {
          message.info(t(`${messages}.nothingChanged`));
          show.value = false;
          return;
        }
        const updated = await api<Item>('PATCH', `${options.path}/${encodeURIComponent(current.id)}`, body);
        message.success(t(`${messages}.saved`, { name: updated.name }));
        options.onSaved(updated, false);
      }
      show.value = false;
    } catch (err) {
      const field = err instanceof ApiError ? options.fieldOfParam(err.param) : null;
      if (field) {
        // Shown under its field; the banner only points there.
        serverField.value = field;
        serverFieldError.value = errorText(err);
        serverError.value = t(`${messages}.errors.fixField`);
        bannerIsFix.value = true;
      } else {
        serverError.value = errorText(err);
      }
    } finally {
      saving.value = false;
    }
  }

  return { errors, serverError, saving, feedback, status, save };
}
