import { createModelLookup } from '../providers/shared/model-lookup.js';

/**
 * Model aliases from config (`model_aliases`): a client's model name → the name routed. Keys are
 * exact names or `*` globs (`claude-*`); exact names win, then globs in config order. One step
 * only: an alias's target is not looked up again.
 */
export function createModelAliases(aliases: Readonly<Record<string, string>>): (model: string) => string {
  const lookup = createModelLookup(aliases);
  return (model) => lookup(model) ?? model;
}
