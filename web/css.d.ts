// esbuild bundles the stylesheets the page imports.
declare module '*.css';
