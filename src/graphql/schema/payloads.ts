import { builder } from '../builder.js';

export const DeletePayload = builder.objectRef<{ revision: number; id: string }>('DeletePayload').implement({
  fields: (t) => ({ revision: t.exposeInt('revision'), id: t.exposeID('id') }),
});
