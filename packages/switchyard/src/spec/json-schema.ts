import { z } from 'zod';
import { environmentSchema, unitSchema } from './schema.js';

/**
 * JSON Schemas for editors (yaml-language-server): one for service and worker files, one
 * for environment files. Published under packages/switchyard/schema/; a test keeps the
 * published files equal to what this produces.
 */
export function jsonSchemas(): { unit: unknown; environment: unknown } {
  return {
    unit: {
      $id: 'https://switchyard.dev/schema/v1/unit.json',
      ...z.toJSONSchema(unitSchema, { io: 'input', unrepresentable: 'any' }),
    },
    environment: {
      $id: 'https://switchyard.dev/schema/v1/environment.json',
      ...z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any' }),
    },
  };
}
