// express@4 is installed under the alias "express4" so both majors run in one suite;
// its API surface used here is the same as Express 5's types describe.
declare module 'express4' {
  import express from 'express'
  export default express
}
