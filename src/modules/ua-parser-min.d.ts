/** The package's own minified build (half the bytes of its source entry), typed as the entry is. */
declare module "ua-parser-js/dist/ua-parser.min.js" {
  import UAParser from "ua-parser-js";
  export default UAParser;
}
