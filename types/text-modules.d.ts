/** esbuild bundles shell scripts as text (loader ".sh": "text"). */
declare module '*.sh' {
  const text: string;
  export default text;
}
