// Stands in for convex's component directory helpers: the analysis this script builds is keyed by
// the component directory's own path.
export function toComponentDefinitionPath(_root, componentDirectory) {
  return componentDirectory.path;
}
export function toAbsolutePath(_root, componentPath) {
  return componentPath;
}
